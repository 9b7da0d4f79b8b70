"""Work objects: scripts, OS accounts, job templates with steps, crons. One module per entity."""
