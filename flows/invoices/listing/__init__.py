"""`/invoice list …` and `/invoice INV-0042`: logic (asked by the modal part's `/invoice`) and views."""
