"""Control inputs: turn operators' and remote surfaces' requests into engine commands."""
