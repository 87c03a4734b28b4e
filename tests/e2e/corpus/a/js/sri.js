window.sriLocal = 'ran';
