"""Analysis over facts: one typed context per file and one module per question rules ask."""
