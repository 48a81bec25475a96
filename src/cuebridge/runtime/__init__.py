"""Runtime: the clock, the engine loop, routing effects to drivers, and the daemon."""
