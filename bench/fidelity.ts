// bench:fidelity — placeholder; to be implemented.
console.log("bench:fidelity: not implemented yet");
