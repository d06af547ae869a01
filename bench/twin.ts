// bench:twin — placeholder; to be implemented.
console.log("bench:twin: not implemented yet");
