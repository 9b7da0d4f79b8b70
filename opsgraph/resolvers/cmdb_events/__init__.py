"""CMDB change events: the emitter other resolvers call, and event subscriptions."""
