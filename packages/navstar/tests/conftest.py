import sys
from pathlib import Path

# zk_fake.py beside the tests.
sys.path.insert(0, str(Path(__file__).resolve().parent))
