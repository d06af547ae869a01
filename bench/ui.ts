// bench:ui — placeholder; to be implemented.
console.log("bench:ui: not implemented yet");
