"""Operations: what the people who run the service look at (health, metrics, status)."""
