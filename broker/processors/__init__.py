"""One module per family of request codes; each exports a class whose `table()` maps codes to handlers."""
