"""Bulk import (CSV, XLSX, JSON) and export (CSV, JSON lines, FollowTheMoney) of records."""
