"""What the mirror lets go of: old history, and the people who left upstream long ago."""
