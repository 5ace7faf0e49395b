"""Events, rooms, tracks, speakers and sessions, their revisions, and the demo loader."""
