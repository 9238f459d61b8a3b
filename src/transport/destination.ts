// Where a message goes: an address, a port and the IP family; reliable transports will add
// their transport and flow (connection) id here.
export interface Destination {
  address: string;
  port: number;
  family: 4 | 6;
}
