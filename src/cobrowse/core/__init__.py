"""cobrowse.core"""
