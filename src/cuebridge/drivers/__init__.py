"""Output drivers: turn engine effects into protocol traffic behind one small interface."""
