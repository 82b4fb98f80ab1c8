"""The Socket.IO protocol: join, send, history, commands, limits, sequences, abuse."""
