// bench:placement — placeholder; to be implemented.
console.log("bench:placement: not implemented yet");
