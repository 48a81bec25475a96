"""Input files to validated values: YAML with positions, device profiles and show files."""
