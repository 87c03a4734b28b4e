self.siblingValue = 'sibling at ' + self.location.pathname;
