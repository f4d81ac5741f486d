"""Measured series (SIPRI arms transfers, US foreign aid): importers, derived tables and the
events of the record made from them."""
