"""cobrowse.demo"""
