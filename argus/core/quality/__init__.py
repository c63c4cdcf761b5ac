"""What the dashboard measures: the reviews Argus produced and the AI Quality Score."""
