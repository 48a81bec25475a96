"""Pure rendering of profile actions to protocol messages: no sockets, clocks or threads."""
