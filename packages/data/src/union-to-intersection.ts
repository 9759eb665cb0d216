/** `A | B` → `A & B`: the keys of every member of a registry together (the schemas compose their kinds' keys). */
export type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
