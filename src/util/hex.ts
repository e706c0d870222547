// Addresses are read in hex by kernel people: one formatter for numbers and
// 64-bit bigints alike.
export const hex = (n: number | bigint): string => '0x' + n.toString(16);
