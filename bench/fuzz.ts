// bench:fuzz — placeholder; to be implemented.
console.log("bench:fuzz: not implemented yet");
