"""The test harness: the real app served over HTTP, Slack's signed requests, the local stand-ins."""
