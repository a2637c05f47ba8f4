"""The demo of the whole case flow: a sample organisation, a simulator that plays employees and advisors,
and the run that starts the stack, feeds it and writes the report (`caseflow demo`). Not shipped in the image."""
