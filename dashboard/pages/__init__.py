"""The pages of the dashboard: UI only, routed by dashboard/app.py."""
