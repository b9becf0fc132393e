"""The DuckDB warehouse: schema and migrations, bulk loads, analyst views."""
