{
  "targets": [
    {
      "target_name": "udp_batch",
      "sources": ["udp_socket.c", "udp_recv.c", "udp_send.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-fvisibility=hidden"],
      "conditions": [["OS!='linux'", {"type": "none"}]]
    }
  ]
}
