"""Messages (cmsi): sending through the outbox, the records, the channels."""
