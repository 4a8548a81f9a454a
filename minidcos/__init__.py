"""miniDC/OS: a whole DC/OS cluster on one machine."""
