"""The services catalogue: the practice's services (name, price, tax), pushed from the billing settings modal."""
