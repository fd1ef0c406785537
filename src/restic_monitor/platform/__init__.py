"""Operating-system adapters: one small interface per concern, one implementation per OS."""
