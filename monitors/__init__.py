"""Talking to the outside world: folders now; feeds, swarm and crawler imports later."""
