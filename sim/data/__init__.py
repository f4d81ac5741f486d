"""Data in: the files a user gives and the measured sources the project's tables are built from."""
