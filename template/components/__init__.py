"""One construct per concern of the project stack; the stack composes them and wires their grants."""
