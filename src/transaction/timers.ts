// RFC 3261 §17 timer values for UDP (unreliable transport). SIP.js ships TIMER_J = 0, which is
// only right for reliable transports; over UDP J and F are 64*T1 (§17.2.2, §17.1.2.2).
export const T1 = 500;
export const T2 = 4000;
export const T4 = 5000;
export const TIMER_F = 64 * T1; // NOTIFY client transaction timeout
export const TIMER_J = 64 * T1; // how long a completed server transaction absorbs retransmissions
export const TIMER_K = T4; // how long a completed client transaction absorbs response retransmissions
