"""Socket.IO event handlers (the room protocol of docs/protocol.md)."""
