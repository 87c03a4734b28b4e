window.sriRemote = 'ran';
