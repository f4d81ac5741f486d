"""Measured series (SIPRI arms transfers, US foreign aid, UN General Assembly votes, ICEWS
coded events): their readers, rules, derived tables and the events of the record made from them."""
