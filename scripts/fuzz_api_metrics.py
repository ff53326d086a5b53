"""Prints `TOTAL FIVEXX`: the requests the server counted in http_requests_total, and those with a 5xx status."""
import re
import sys
import urllib.request

text = urllib.request.urlopen(sys.argv[1], timeout=5).read().decode()
total = fives = 0
for m in re.finditer(r"^http_requests_total\{([^}]*)\} (\S+)$", text, re.M):
    n = int(float(m.group(2)))
    total += n
    fives += n if re.search(r'status="5', m.group(1)) else 0
print(total, fives)
