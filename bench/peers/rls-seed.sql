-- The resource list of the RLS smoke run (bench/sipp/rls.xml): watcher sip:rlswatcher@127.0.0.1
-- owns the list sip:rlslist@127.0.0.1 of two presentities. doc_type 8 = rls-services (the
-- RLS_SERVICE bit of Kamailio's xcap_client), read by rls with integrated_xcap_server = 1.
INSERT INTO xcap (username, domain, doc, doc_type, etag, source, doc_uri, port) VALUES (
  'rlswatcher', '127.0.0.1',
  '<?xml version="1.0" encoding="UTF-8"?>
<rls-services xmlns="urn:ietf:params:xml:ns:rls-services" xmlns:rl="urn:ietf:params:xml:ns:resource-lists">
  <service uri="sip:rlslist@127.0.0.1">
    <list name="smoke">
      <rl:entry uri="sip:rls-a@127.0.0.1"/>
      <rl:entry uri="sip:rls-b@127.0.0.1"/>
    </list>
    <packages><package>presence</package></packages>
  </service>
</rls-services>',
  8, 'smoke-etag-1', 1, 'rls-services/users/sip:rlswatcher@127.0.0.1/index', 0);
