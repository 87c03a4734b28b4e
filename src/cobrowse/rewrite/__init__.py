"""cobrowse.rewrite"""
