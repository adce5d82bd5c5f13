"""Every word staff receive by text or by an alert call (`staff`), and the GSM-7 rules that keep
each text to one cheap segment (`gsm7`). Pure: no database, no I/O.

Never a child's name or details: a reference, the line, the caller's agency, a time, what to do.
"""
