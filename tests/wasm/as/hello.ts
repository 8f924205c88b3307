// hello.ts - AssemblyScript test program for lockstep's WASI shim: console
// output, argv, environment, a Map, string building, float formatting and
// an explicit exit code. Built with the @assemblyscript/wasi-shim config.

class Counter {
  counts: Map<string, i32> = new Map<string, i32>();
  add(word: string): void {
    const n = this.counts.has(word) ? this.counts.get(word) : 0;
    this.counts.set(word, n + 1);
  }
}

console.log("hello from AssemblyScript");
const args = process.argv;
console.log("argc=" + args.length.toString());
for (let i = 1; i < args.length; i++) console.log("arg " + i.toString() + ": " + args[i]);
const env = process.env;
console.log("LS_GREETING=" + (env.has("LS_GREETING") ? env.get("LS_GREETING") : "(unset)"));

const c = new Counter();
const words = "the fox and the dog and the cat".split(" ");
for (let i = 0; i < words.length; i++) c.add(words[i]);
console.log("the=" + c.counts.get("the").toString() + " and=" + c.counts.get("and").toString());

let fib: u64[] = [0, 1];
for (let i = 2; i < 60; i++) fib.push(fib[i - 1] + fib[i - 2]);
console.log("fib(59)=" + fib[59].toString());
console.log("sqrt(2)=" + Math.sqrt(2.0).toString());
const parts: string[] = [];
for (let i = 0; i < 5; i++) parts.push((i * i).toString());
console.log("squares: " + parts.join(","));
process.stderr.write("to stderr\n");
const t0 = Date.now();
console.log("clock sane: " + (t0 > 1577836800000 ? "yes" : "no"));
process.exit(3);
