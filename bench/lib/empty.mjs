// bench:plan's "node alone": the node measured, starting and running nothing (its own start-up).
