// bench:surrogate — placeholder; to be implemented.
console.log("bench:surrogate: not implemented yet");
