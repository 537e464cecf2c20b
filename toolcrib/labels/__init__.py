"""Labels for tool instances: a PDF of DataMatrix codes with the inventory number and tool type
(printing.py), and the page that picks the tools (views.py)."""
