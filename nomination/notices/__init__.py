"""Public notices (公示): publication, order by surname strokes, periods."""
